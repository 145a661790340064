// a block filter collects the hashes of blocks sealed after it, once
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xba15251c3960ffebc3ab6083b44cc4db"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":4,"result":["0x277dbd932e2466c21da202d8c177773013691be15d5d575369b5864c7e72dd3c","0x7f7d5e025f2c97c12b78b956de86bac8e96da26619128676e960b65a68868ed4"]}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":5,"result":[]}
