// a legacy, an EIP-2930 and an EIP-1559 transfer, each sealed at once: their hashes, then the head
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> {"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0xf86d80847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a76400008082f4f5a0de963a92718e091ac333953841b1a248b7a74569d90b27e7d3a7d30228bce7c1a04d8b5135855828de0691e46924b863c5e7ab87684841ad638114c613e7c675d6"]}
<< {"jsonrpc":"2.0","id":2,"result":"0x5f489975a3d2c9a42e4ea16da45b08fc2b48e879fb8784109586ba6d5774dca0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_setNextBlockTimestamp","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":null}
>> {"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":["0x01f86f827a6980847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c080a0a0d161b0bb8f58ff96ebe9f2278cf2bc01c8e5bf1273de0a8dee2967760e396aa033073dd12aaa86dba98c7f46424bf8caba66a8d4e3f9726186dcc1cdc2c914fa"]}
<< {"jsonrpc":"2.0","id":4,"result":"0x962de11b19930a1f1c1011324570b182aaf29aa5bbaa5e421d33f2272daf0cb2"}
>> {"jsonrpc":"2.0","id":5,"method":"evm_setNextBlockTimestamp","params":[1700000024]}
<< {"jsonrpc":"2.0","id":5,"result":null}
>> {"jsonrpc":"2.0","id":6,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c080a0ffd7468c5642c472d6a5d7509bb576550261020fafd59bbb8dedc8ef7970b0c9a04a8a46759480379537077b50357d6c215d885f33bb8c4b8626ba0c117b6eca05"]}
<< {"jsonrpc":"2.0","id":6,"result":"0x2348f0ed3471d78e5c04bc1f03660f6c8fcdacb9289676e6939edbec6567da4f"}
>> {"jsonrpc":"2.0","id":7,"method":"eth_blockNumber"}
<< {"jsonrpc":"2.0","id":7,"result":"0x3"}
