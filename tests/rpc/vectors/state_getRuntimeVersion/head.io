// the runtime's name and versions
>> {"jsonrpc":"2.0","id":1,"method":"state_getRuntimeVersion"}
<< {"jsonrpc":"2.0","id":1,"result":{"specName":"flockchain","implName":"flockchain-python","specVersion":1,"implVersion":1,"transactionVersion":1,"stateVersion":0,"apis":[["0xbb652b92498c3be9",1],["0xa65b1ef8ee654435",1],["0x7f8fd52716ed5710",1],["0x4edb209cbb70385e",1],["0x8f6d06a17e135111",1],["0x55c41924091a212e",1],["0x34c4f69c5a540b12",1],["0x5658b9476623d3aa",1],["0xcbd818ad4dd6f1ff",1],["0xd446bbe894a35344",1],["0x0683d1c283a672fc",1],["0xabea6fd3db56a6e6",1],["0x651e6096ab5f22dd",1]]}}
